"""Reading what people type: numbers, amounts, dates and yes/no, per spec §3.3.

Scalar readers serve the Config tabs; the Series readers serve the engine (vectorised; they
return the parsed values and a mask of cells that were filled but could not be read, so the
engine can raise INVALID_VALUE naming each cell — never a silent zero).

TO BE IMPLEMENTED (engine helper). Agreed signatures:

    read_number(value: Cell) -> float | None
        numbers, "40%" -> 0.4? NO: "40%" -> 40.0 with percent flag? -> see below
    ...
"""

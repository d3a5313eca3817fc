"""The pure core: tables and a Config in, judgements out. No I/O, no clock."""

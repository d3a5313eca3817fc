"""How money is shown: the Settings currency symbol in front of a whole number, or of a
number of 万 (ten thousands) with one decimal."""

from sheetfunnel.config import Config


def money_format(config: Config, *, in_wan: bool = False) -> str:
    """The number format of amounts; ``in_wan``: for amounts already divided by 10,000."""
    symbol = config.settings.currency.replace('"', "")
    number = '#,##0.0"万"' if in_wan else "#,##0"
    return f'"{symbol}"{number}' if symbol else number

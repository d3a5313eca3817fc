"""How money is shown: the Settings currency symbol in front of a whole number."""

from sheetfunnel.config import Config


def money_format(config: Config) -> str:
    symbol = config.settings.currency.replace('"', "")
    return f'"{symbol}"#,##0' if symbol else "#,##0"

from sheetfunnel.cli import main

main()

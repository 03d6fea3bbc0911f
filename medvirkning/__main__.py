from medvirkning.cli import main

main()

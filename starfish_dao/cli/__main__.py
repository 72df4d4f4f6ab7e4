from starfish_dao.cli.app import main

main()

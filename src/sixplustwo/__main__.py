from sixplustwo.cli.app import main

main()

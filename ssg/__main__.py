from ssg.cli import main

main()

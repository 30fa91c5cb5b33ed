HugePages.restartWithHugePagesIfUseful()
ExitStatus.run()

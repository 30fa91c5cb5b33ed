ExitStatus.run()

HeapTunables.restartIfUseful()
ExitStatus.run()

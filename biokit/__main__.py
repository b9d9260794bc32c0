from biokit.cli.main import main

raise SystemExit(main())

from thbhub.cli import main

raise SystemExit(main())

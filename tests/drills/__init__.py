"""The fault drills of issue 22 (`make drills`; a subset runs in `make test`)."""

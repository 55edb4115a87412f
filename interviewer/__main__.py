"""Allow `python -m interviewer`."""

from interviewer.cli import main

if __name__ == "__main__":
    main()

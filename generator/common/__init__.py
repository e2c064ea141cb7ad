"""What every stage uses: problems and errors, files, git, months, money, SQL files,
progress, and where the shipped templates and docs are. Imports nothing of the stages."""

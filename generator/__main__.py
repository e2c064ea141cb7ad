from generator.cli import app

app()

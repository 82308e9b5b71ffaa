from vmb.cli import run

run()

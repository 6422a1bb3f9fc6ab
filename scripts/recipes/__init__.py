"""Recipe runners: training over several seeds (the shell recipes beside it call seeds.py)."""

"""Data preparation: tables and pretrained vectors that models and recipes read."""

"""The feed contract (`feed-v1`): what units deliver and how each row is judged.

`contract` names the fields and codes, `values` parses one value, `decoding`
turns bytes into NFC text, `readers` turns a data file into records, `rows`
applies the row rules, `manifest` reads `manifest.json`.
"""

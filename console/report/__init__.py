"""The post-mortem report from a recording: its data (model), charts, and md/json/html."""

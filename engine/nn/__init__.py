"""The networks and the hardware they run on: models, weight averaging, device, threads."""

"""Operation Moontwist welfare visits and officer training."""

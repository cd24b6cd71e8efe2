"""Operation Moontwist welfare visits, their reports, officers' training and the visit vocabulary."""

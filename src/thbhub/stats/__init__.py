"""National statistics: import services, the observation query service, rates and charts."""

"""Three regions on one machine (`flix regions up`, docs/regions.md): regional BFFs behind
HAProxy, the catalog database's streaming replica, and the replica's promotion."""

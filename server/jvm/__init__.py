"""JVM stores (Apache Cassandra, Apache Kafka) run from Maven Central jars, for tests and dev.

Each store has a pom here naming its artifact; ``classpath`` fetches the jars once with
Maven into a cache folder, and the store's module runs its daemon class on them.
"""

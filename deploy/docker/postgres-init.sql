-- The registry keeps its schemas in a database of its own beside the project's.
CREATE DATABASE apicurio;

-- Runs once, on the first start of an empty PostgreSQL data volume
-- (/docker-entrypoint-initdb.d/), as POSTGRES_USER (npa).
-- One database per service: no service reads another service's database.
CREATE DATABASE actors OWNER npa;
CREATE DATABASE offers OWNER npa;
CREATE DATABASE notifications OWNER npa;
CREATE DATABASE reports OWNER npa;

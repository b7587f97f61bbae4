"""Storage: the DDL (`schema.sql`, `views.sql`), opening the warehouse (`db`), loading a
source run (`load`) and the run bookkeeping (`runs`)."""

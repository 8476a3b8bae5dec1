/// Reweight: the PRM wrapper, Instance Table / Instance Net / Domain Table, the bi-level engine, aggregation and best-of-N.

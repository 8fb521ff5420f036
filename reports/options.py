"""The values a reader can pick to narrow a search or a comparison (the forms' drop-downs),
read from the database so they only offer what is there."""
import sqlite3

from kbcore.schema import STATUS_LABELS, kind_label


def filter_options(conn: sqlite3.Connection) -> dict:
    """{filter name: values}: domains in the book's chapter order, mechanisms and regions most used
    first, kinds as (id, label), statuses as (id, label)."""
    def values(sql):
        return [v for (v,) in conn.execute(sql) if v]
    return {
        "domain": values("select id from domains order by chapter"),
        "mechanism": values("select mechanism from case_mechanisms group by mechanism "
                            "order by count(*) desc, mechanism"),
        "region": values("select region from cases where region is not null "
                         "group by region order by count(*) desc, region"),
        "kind": [(k, kind_label(k)) for k in values("select distinct kind from cases order by kind")],
        "status": list(STATUS_LABELS.items()),
    }

"""The usual alternative: the headline metrics as an analyst would write them in pandas.

Reads the same export files and computes, with the contract's definitions, monthly active
customers at the start of each month, the switching rate, cohort retention and NPS per
month. The benchmark compares every number with the marts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def read_csvs(folder: Path) -> pd.DataFrame:
    return pd.concat(
        [pd.read_csv(p, dtype=str) for p in sorted(folder.glob("*.csv"))], ignore_index=True
    )


def utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


def load(landing: Path, as_of: pd.Timestamp) -> dict[str, pd.DataFrame]:
    orders = read_csvs(landing / "shop/orders").drop_duplicates("order_id", keep="last")
    orders["ordered_at"] = utc(orders["ordered_at"])
    orders = orders[(orders["status"] != "cancelled") & (orders["ordered_at"] <= as_of)]
    customers = read_csvs(landing / "crm/customers")
    for column in ("updated_at", "churned_at"):
        customers[column] = utc(customers[column])
    customers = customers[customers["updated_at"] <= as_of].sort_values(
        ["customer_id", "updated_at"], kind="stable"
    )
    events = read_csvs(landing / "crm/events")
    events["occurred_at"] = utc(events["occurred_at"])
    responses = pd.concat(
        [
            pd.read_json(p, lines=True, dtype=False)
            for p in sorted((landing / "survey/responses").glob("*.ndjson"))
        ],
        ignore_index=True,
    )
    responses["responded_at"] = utc(responses["responded_at"])
    return {"orders": orders, "customers": customers, "events": events, "responses": responses}


def explicit_churns(
    customers: pd.DataFrame, events: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    # Every CRM version counts; consecutive versions that say churned are one churn, dated by
    # the latest churned_at among them (else the first one's updated_at).
    says = customers["churned_at"].notna() | (customers["status"] == "churned")
    run = (~says).astype(int).groupby(customers["customer_id"]).cumsum()
    runs = customers[says].groupby([customers["customer_id"][says], run[says]])
    crm = pd.DataFrame(
        {
            "churned_at": runs["churned_at"].last().fillna(runs["updated_at"].min()),
        }
    ).reset_index(level=0)
    crm = crm.loc[crm["churned_at"] <= as_of, ["customer_id", "churned_at"]]
    cancels = events.loc[
        (events["event_type"] == "cancellation") & (events["occurred_at"] <= as_of),
        ["customer_id", "occurred_at"],
    ]
    churns = pd.concat(
        [crm, cancels.rename(columns={"occurred_at": "churned_at"})], ignore_index=True
    )
    churns["day"] = churns["churned_at"].dt.floor("D")
    return churns.groupby(["customer_id", "day"], as_index=False)["churned_at"].min()


def spells(
    orders: pd.DataFrame, churns: pd.DataFrame, days: int, as_of: pd.Timestamp
) -> pd.DataFrame:
    window = pd.Timedelta(days=days)
    timeline = pd.concat(
        [
            pd.DataFrame(
                {"customer_id": orders["customer_id"], "at": orders["ordered_at"], "kind": 0}
            ),
            pd.DataFrame(
                {"customer_id": churns["customer_id"], "at": churns["churned_at"], "kind": 1}
            ),
        ],
        ignore_index=True,
    ).sort_values(["customer_id", "at", "kind"], kind="stable")
    timeline["churns"] = timeline.groupby("customer_id")["kind"].cumsum()
    buys = timeline[timeline["kind"] == 0].copy()
    grouped = buys.groupby("customer_id")
    previous_at, previous_churns = grouped["at"].shift(), grouped["churns"].shift()
    buys["new"] = (
        previous_at.isna()
        | (buys["at"] > previous_at + window)
        | (buys["churns"] > previous_churns)
    )
    buys["spell"] = buys.groupby("customer_id")["new"].cumsum()
    result = buys.groupby(["customer_id", "spell"], as_index=False).agg(
        start=("at", "min"), last=("at", "max")
    )
    result = pd.merge_asof(
        result.sort_values("last"),
        churns.sort_values("churned_at")[["customer_id", "churned_at"]],
        left_on="last",
        right_on="churned_at",
        by="customer_id",
        direction="forward",
    )
    lapse = result["last"] + window
    result["end"] = np.where(
        result["churned_at"].notna() & (result["churned_at"] < lapse), result["churned_at"], lapse
    )
    result["end"] = pd.to_datetime(result["end"], utc=True)
    result["churn"] = result["end"].where(result["end"] <= as_of)
    return result


def monthly(spell_table: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    rows = []
    for start in months:
        following = start + pd.DateOffset(months=1)
        active = (spell_table["start"] <= start) & (spell_table["end"] > start)
        churned = active & (spell_table["churn"] >= start) & (spell_table["churn"] < following)
        s = int(active.sum())
        rows.append(
            {
                "month": start.date(),
                "active_customers_start": s,
                "switching_rate": churned.sum() / s if s else None,
            }
        )
    return pd.DataFrame(rows)


def cohorts(orders: pd.DataFrame) -> pd.DataFrame:
    months = orders.assign(month=orders["ordered_at"].dt.tz_localize(None).dt.to_period("M"))
    months = months[["customer_id", "month"]].drop_duplicates()
    months["cohort"] = months.groupby("customer_id")["month"].transform("min")
    months["k"] = (months["month"] - months["cohort"]).apply(lambda offset: offset.n)
    sizes = months[months["k"] == 0].groupby("cohort").size()
    retained = months.groupby(["cohort", "k"]).size().rename("retained").reset_index()
    retained["retention_rate"] = retained["retained"] / retained["cohort"].map(sizes)
    retained["cohort_month"] = retained["cohort"].dt.start_time.dt.date
    return retained[["cohort_month", "k", "retention_rate"]]


def nps(responses: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    scored = responses[(responses["responded_at"] <= as_of) & responses["nps_score"].notna()].copy()
    scored["month"] = (
        scored["responded_at"].dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.date
    )
    known = scored[scored["customer_id"].notna()].sort_values(["responded_at", "response_id"])
    kept = pd.concat(
        [
            known.drop_duplicates(["customer_id", "month"], keep="last"),
            scored[scored["customer_id"].isna()],
        ]
    )
    groups = kept.groupby("month")["nps_score"]
    table = pd.DataFrame(
        {
            "n": groups.size(),
            "p": groups.apply(lambda s: (s >= 9).sum()),
            "d": groups.apply(lambda s: (s <= 6).sum()),
        }
    )
    table["nps"] = 100 * (table["p"] - table["d"]) / table["n"]
    return table.reset_index()[["month", "nps"]]


def headline_metrics(
    data: dict[str, pd.DataFrame], as_of: pd.Timestamp, days: int
) -> dict[str, pd.DataFrame]:
    """Everything the comparison needs, computed from the files `load` read."""
    churns = explicit_churns(data["customers"], data["events"], as_of)
    spell_table = spells(data["orders"], churns, days, as_of)
    first = data["orders"]["ordered_at"].min().tz_convert("UTC").floor("D").replace(day=1)
    months = pd.date_range(first, as_of.floor("D").replace(day=1), freq="MS", tz="UTC")
    return {
        "monthly": monthly(spell_table, months),
        "cohorts": cohorts(data["orders"]),
        "nps": nps(data["responses"], as_of),
    }

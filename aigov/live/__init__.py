"""The nightly scan of live Azure subscriptions (``aigov scan azure``).

Real Azure SDK clients (:mod:`.client`, :mod:`.credentials`) discover AI
resources through Resource Graph (:mod:`.discovery`), read deployments per
account (:mod:`.deployments`), online deployments and serverless endpoints
per Azure ML workspace (:mod:`.ml_endpoints`), both as the REST API's pages
(:mod:`.listing`), usage with one Azure Monitor call per
account (:mod:`.metrics`), and Azure Policy's own verdicts
(:mod:`.policy_states`); :mod:`.mapping` turns ARM JSON into resources,
:mod:`.scan` runs the engine, :mod:`.history` compares with previous scans
and :mod:`.summary` renders what the standard reports do not show.
"""

from aigov.live.scan import LiveOptions, LiveScan, run_live_scan, scan_live

__all__ = ["LiveOptions", "LiveScan", "run_live_scan", "scan_live"]

"""sheetsync: a trustworthy sales deal register (案件管理) on a shared spreadsheet.

The library is usable without the CLI::

    from sheetsync.config import load_config
    from sheetsync import pipeline

    result = pipeline.run(load_config("config.yaml"), dry_run=True)
    print(result.to_json()["forecast"])
"""

__version__ = "0.1.0"

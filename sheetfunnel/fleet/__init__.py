"""A fleet of workbooks on Huey and Redis (issue #18): registry, schedule, quota gate, locks."""

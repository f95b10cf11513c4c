"""The stable views people and scripts read: JSON shapes, status, preview, schedule and feed
reports."""

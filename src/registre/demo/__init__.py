"""Example applications' databases, filled with synthetic data for demonstrations and tests."""

from registre.demo.loader import DemoApp, LoadReport, load_app, load_demo_data

__all__ = ["DemoApp", "LoadReport", "load_app", "load_demo_data"]

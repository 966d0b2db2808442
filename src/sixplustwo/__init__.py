"""sixplustwo: the 6+2 customer-service steps as a morning to-do list for customer butlers."""

__version__ = "0.1.0"

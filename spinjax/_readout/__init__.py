"""Electrical readout of the magnetization: magnetoresistance and thresholded reads."""

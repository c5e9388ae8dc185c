"""The Lab tab: configure, train and watch gradient flow and neuron death live (LabView)."""

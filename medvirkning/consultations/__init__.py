"""Union consultations: protocols each union confirms, notice days and a tamper-evident log."""

"""socalign's tests, laid out like the package: tests/<package>/test_<module>.py."""

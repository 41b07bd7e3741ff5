"""What tests share: scripted servers, run factories, ports, launchable scripts, golden files."""

#!/usr/bin/env bash
# Installs the Debian packages the assistant and its tests use, once.
set -euo pipefail

packages=(
  poppler-utils        # pdftoppm/pdftotext: OCR of scanned PDFs, LOA checks
  qpdf                 # qpdf --check in the LOA tests
  mupdf-tools          # a second PDF renderer (MuPDF) in the LOA tests
  tesseract-ocr        # OCR of photographed and scanned bills
  tesseract-ocr-eng
  fonts-dejavu-core    # document generators in the tests
  fonts-noto-core      # Latin, Latin-extended and Vietnamese names on the LOA
  fonts-droid-fallback # CJK business names on the LOA (TrueType outlines)
)
if [ "${1:-}" = "--browser" ]; then
  packages+=(chromium chromium-driver)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi
echo "Installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

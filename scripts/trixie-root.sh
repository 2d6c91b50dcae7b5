#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Kept for callers of the old name: the Debian trixie root (OTP 27) of
# scripts/otp-root.sh, with the same commands (path, build, otp, exec).
exec sh "$(dirname "$0")/otp-root.sh" trixie "$@"

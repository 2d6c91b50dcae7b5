#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interop: Elixir 1.20 on OTP 29 (Debian forky, chrooted) behind distguard:
# the checks of t_elixir.sh, with its columns marked 29 (ex29, release29).
EXV=29 exec bash "$(dirname "$0")/t_elixir.sh"

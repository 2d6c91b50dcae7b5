#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interop: the runtime API's end-to-end suites with every node on OTP 29
# (Debian forky's, chrooted), Elixir's check on forky's Elixir 1.20: the
# runs of t_api27.sh, with their column marked 29.
API_OTP=29 exec bash "$(dirname "$0")/t_api27.sh"

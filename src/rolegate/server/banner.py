"""What ``rolegate serve`` prints on start: the endpoint, where the root credentials are, and exports.

Every line is printed without wrapping (a path broken across lines cannot be pasted) and with the values in
it escaped, so that ``[rolegate]`` reaches the terminal as text rather than as console markup. The exports
set both ``AWS_REGION`` (botocore, the AWS CLI v2, most SDKs) and ``AWS_DEFAULT_REGION`` (the AWS CLI v1,
the one on PyPI, reads only this one).
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from .config import Settings
from .runtime import DEV_USER_NAME, PROFILE, Bootstrap

REGION = "us-east-1"


def print_banner(s: Settings, boot: Bootstrap, console: Console) -> None:
    endpoint = f"{'https' if s.tls else 'http'}://{s.host}:{s.port}"
    if s.dev:
        console.print("[bold white on red] DEV MODE [/][bold red] any unknown access key is accepted, unsigned, as "
                      f"the administrator IAM user {DEV_USER_NAME} of account {s.default_account_id} (it may "
                      "assume roles that trust the account); POST /_rolegate/reset wipes all state. "
                      "Never expose this server.[/]", soft_wrap=True)
    console.print(f"[bold]rolegate[/] listening on [cyan]{escape(endpoint)}[/] (account {boot.account_id}, "
                  f"data in {escape(str(s.data_dir.resolve()))})", highlight=False, soft_wrap=True)
    if boot.credentials_file is not None:
        console.print(escape(f"Root credentials: {boot.credentials_file} (mode 0600, profile [{PROFILE}])"),
                      highlight=False, soft_wrap=True)
        secret = f"$(sed -n 's/^aws_secret_access_key = //p' {boot.credentials_file})"
    else:
        secret = "<the ROLEGATE_ROOT_SECRET_ACCESS_KEY you configured>"
    console.print("Paste into another shell:", highlight=False)
    console.print(escape(f"  export AWS_ENDPOINT_URL={endpoint}\n"
                         f"  export AWS_ACCESS_KEY_ID={boot.access_key_id}\n"
                         f"  export AWS_SECRET_ACCESS_KEY=\"{secret}\"\n"
                         f"  export AWS_REGION={REGION}\n"
                         f"  export AWS_DEFAULT_REGION={REGION}"), highlight=False, soft_wrap=True)

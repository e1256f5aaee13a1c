"""What ``rolegate serve`` prints on start: the endpoint, where the root credentials are, and exports."""

from __future__ import annotations

from rich.console import Console

from .config import Settings
from .runtime import PROFILE, Bootstrap


def print_banner(s: Settings, boot: Bootstrap, console: Console) -> None:
    endpoint = f"http://{s.host}:{s.port}"
    if s.dev:
        console.print("[bold white on red] DEV MODE [/][bold red] any access key is accepted, unsigned, as the "
                      f"root user of account {s.default_account_id}; POST /_rolegate/reset wipes all state. "
                      "Never expose this server.[/]")
    console.print(f"[bold]rolegate[/] listening on [cyan]{endpoint}[/] (account {boot.account_id}, "
                  f"data in {s.data_dir.resolve()})", highlight=False)
    if boot.credentials_file is not None:
        console.print(f"Root credentials: {boot.credentials_file} (mode 0600, profile [{PROFILE}])", highlight=False)
        secret = f"$(sed -n 's/^aws_secret_access_key = //p' {boot.credentials_file})"
    else:
        secret = "<the ROLEGATE_ROOT_SECRET_ACCESS_KEY you configured>"
    console.print("Paste into another shell:", highlight=False)
    console.print(f"  export AWS_ENDPOINT_URL={endpoint}\n"
                  f"  export AWS_ACCESS_KEY_ID={boot.access_key_id}\n"
                  f"  export AWS_SECRET_ACCESS_KEY=\"{secret}\"\n"
                  f"  export AWS_REGION=us-east-1", highlight=False, soft_wrap=True)

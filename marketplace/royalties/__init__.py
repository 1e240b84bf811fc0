"""Royalty reports of licenses paid by royalty: the licensee reports each period's base, the royalty becomes an
installment paid through the license's payment flow, and the parties see statements per license and year."""

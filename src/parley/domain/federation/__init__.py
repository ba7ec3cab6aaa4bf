"""Federation state the domain keeps: received activities, remote hosts, the instance key."""

"""Questions asked before anything is created: the AWS account (capacity, zones) and the Hugging Face Hub."""
